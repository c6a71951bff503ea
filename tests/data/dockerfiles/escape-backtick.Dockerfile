# escape=`
FROM scratch
LABEL path=C:\app `
  b=c
