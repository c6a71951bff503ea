FROM scratch
HEALTHCHECK NONE --interval=1s
