module spark-on-metal/lab/images/pause

go 1.26
