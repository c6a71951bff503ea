FROM scratch
COPY --link a /a
