#ifndef VTSTAT_H
#define VTSTAT_H
int vtstat_value(void);
#endif
