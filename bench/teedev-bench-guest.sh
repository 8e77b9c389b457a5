# Guest script for bench/board-bench: teedev's figures on the guest's real /dev/tee0.
/usr/local/lib/vtee-teedev/bin/teedev-bench
