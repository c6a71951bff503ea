FROM scratch
LABEL greeting=hel\
lo
