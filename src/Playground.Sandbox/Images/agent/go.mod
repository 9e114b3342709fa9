module goplay/agent

go 1.19
