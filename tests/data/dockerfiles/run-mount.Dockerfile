FROM python:3.13-alpine
RUN --mount=type=tmpfs,target=/cache true
