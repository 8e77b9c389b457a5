#ifndef VTSHARED_A_H
#define VTSHARED_A_H
int vtshared_a_value(void);
#endif
