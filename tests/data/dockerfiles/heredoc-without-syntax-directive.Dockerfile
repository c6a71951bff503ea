FROM scratch
COPY <<EOF /greeting
hello
EOF
