module scb-operator.io/node-pause

go 1.24
