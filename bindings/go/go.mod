module authgate

go 1.19
