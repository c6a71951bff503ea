FROM scratch
COPPY a /a
ENV A
