module goplay/chartcheck

go 1.19
