module scb-operator.io/node-pod-forward

go 1.24
