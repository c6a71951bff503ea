FROM scratch
LABEL a=b \
# a comment

   
    c=d \
  # another
  e=f
LABEL g=h
