FROM scratch
COPY "a b" /x
