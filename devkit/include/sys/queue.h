/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: the host's <sys/queue.h> plus the BSD macros OP-TEE's
 * copy has and glibc's lacks (the *_FOREACH_SAFE loops, *_REMOVE_AFTER).
 * A _SAFE loop may free the current element: tvar holds the next one.
 */
#ifndef VTEE_TA_SYS_QUEUE_H
#define VTEE_TA_SYS_QUEUE_H

#include_next <sys/queue.h>

#ifndef LIST_FOREACH_SAFE
#define LIST_FOREACH_SAFE(var, head, field, tvar) \
	for ((var) = LIST_FIRST((head)); \
	     (var) && ((tvar) = LIST_NEXT((var), field), 1); (var) = (tvar))
#endif
#ifndef SLIST_FOREACH_SAFE
#define SLIST_FOREACH_SAFE(var, head, field, tvar) \
	for ((var) = SLIST_FIRST((head)); \
	     (var) && ((tvar) = SLIST_NEXT((var), field), 1); (var) = (tvar))
#endif
#ifndef SLIST_REMOVE_AFTER
#define SLIST_REMOVE_AFTER(slistelm, field) do { \
		(slistelm)->field.sle_next = \
			SLIST_NEXT(SLIST_NEXT((slistelm), field), field); \
	} while (0)
#endif
#ifndef STAILQ_FOREACH_SAFE
#define STAILQ_FOREACH_SAFE(var, head, field, tvar) \
	for ((var) = STAILQ_FIRST((head)); \
	     (var) && ((tvar) = STAILQ_NEXT((var), field), 1); (var) = (tvar))
#endif
#ifndef STAILQ_REMOVE_AFTER
#define STAILQ_REMOVE_AFTER(head, elm, field) do { \
		if ((STAILQ_NEXT(elm, field) = \
		     STAILQ_NEXT(STAILQ_NEXT(elm, field), field)) == NULL) \
			(head)->stqh_last = &STAILQ_NEXT((elm), field); \
	} while (0)
#endif
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar) \
	for ((var) = TAILQ_FIRST((head)); \
	     (var) && ((tvar) = TAILQ_NEXT((var), field), 1); (var) = (tvar))
#endif
#ifndef TAILQ_FOREACH_REVERSE_SAFE
#define TAILQ_FOREACH_REVERSE_SAFE(var, head, headname, field, tvar) \
	for ((var) = TAILQ_LAST((head), headname); \
	     (var) && ((tvar) = TAILQ_PREV((var), headname, field), 1); \
	     (var) = (tvar))
#endif

#endif /* VTEE_TA_SYS_QUEUE_H */
