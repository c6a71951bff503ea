FROM scratch
LABEL description="My app
