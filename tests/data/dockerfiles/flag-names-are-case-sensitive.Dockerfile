FROM scratch
COPY --FROM=base a /a
