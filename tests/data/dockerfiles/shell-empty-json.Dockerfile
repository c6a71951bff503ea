FROM scratch
SHELL []
