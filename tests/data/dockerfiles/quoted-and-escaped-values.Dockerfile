FROM scratch
ENV A="hello world" B=c
LABEL x="a b" y=z\ w
