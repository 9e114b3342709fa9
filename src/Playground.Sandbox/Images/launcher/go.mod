module goplay/launcher

go 1.19
