FROM scratch
COPY --from a /a
