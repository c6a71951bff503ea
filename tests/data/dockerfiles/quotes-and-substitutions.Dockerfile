FROM scratch
ENV A="a 'b" B='x"y' C=\"
LABEL a=$ b=${X:+y} c=${X:-z}
