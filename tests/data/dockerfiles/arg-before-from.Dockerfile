ARG BASE=scratch
FROM ${BASE}
LABEL a=b
