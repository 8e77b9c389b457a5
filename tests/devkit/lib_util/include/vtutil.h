#ifndef VTUTIL_H
#define VTUTIL_H

int vtutil_value(void);

#endif
