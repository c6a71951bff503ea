FROM scratch
ENV greeting hello world
LABEL a=
