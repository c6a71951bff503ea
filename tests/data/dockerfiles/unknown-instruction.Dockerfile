FROM scratch
LABEL a=b
COPPY a /a
