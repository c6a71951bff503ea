FROM scratch
ENV A=${B:x}
