FROM scratch
USER a b
MAINTAINER Ada Lovelace
