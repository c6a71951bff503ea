FROM scratch
SHELL sh -c
