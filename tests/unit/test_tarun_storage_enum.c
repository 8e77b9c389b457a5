#include "tarun_storage_test.h"
int main(void) { fake_start(); CHECK(1); return check_report(); }
