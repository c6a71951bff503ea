FROM scratch
SHELL ["/bin/sh", "-c"] ignored
CMD ["true"] ignored too
