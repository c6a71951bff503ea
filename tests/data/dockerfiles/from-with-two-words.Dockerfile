FROM scratch base
