FROM scratch AS 1st
