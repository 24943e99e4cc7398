module authgate-example

go 1.19

require authgate v0.0.0

replace authgate => ../../bindings/go
