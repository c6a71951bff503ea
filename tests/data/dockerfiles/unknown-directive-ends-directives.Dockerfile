# foo=bar
# escape=`
FROM scratch
LABEL a=b `
  c=d
