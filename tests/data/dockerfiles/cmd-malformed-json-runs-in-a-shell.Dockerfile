FROM scratch
CMD ['python', 'app.py']
