# escape=`
# escape=\
FROM scratch
LABEL a=b
