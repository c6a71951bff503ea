from scratch as base
label a=b
