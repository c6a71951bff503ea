FROM scratch
COPY --chmod=644 a /a
