FROM scratch
CMD ["python", 3]
