#ifndef VTSHARED_B_H
#define VTSHARED_B_H
int vtshared_b_value(void);
#endif
