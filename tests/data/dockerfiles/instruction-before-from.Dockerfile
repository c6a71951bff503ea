# a comment
LABEL a=b
FROM scratch
