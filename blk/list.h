/* SPDX-License-Identifier: MIT */
/*
 * The one list type of blk/: an intrusive FIFO (first in, first out),
 * linked through a pointer the element already has, so queueing never
 * allocates. BLK_FIFO(name, type, link) defines `struct name` and its
 * functions for one element type; blk/device.h makes one for requests,
 * one for bios. Each element is on at most one list at a time: a bio is
 * waiting for a request, or in its request's list, or being completed,
 * and leaves one before it joins the next (blk/queue.c).
 *
 *   name_push(list, e)        append e
 *   name_push_front(list, e)  prepend e (a front merge, a bio put back)
 *   name_pop(list)            take the first, or NULL
 *   name_empty(list)
 */
#ifndef VBLK_BLK_LIST_H
#define VBLK_BLK_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define BLK_FIFO(name, type, link)                                                        \
	struct name {                                                                     \
		type *head, *tail;                                                        \
	};                                                                                \
                                                                                          \
	static inline bool name##_empty(const struct name *list)                          \
	{                                                                                 \
		return list->head == NULL;                                                \
	}                                                                                 \
                                                                                          \
	static inline void name##_push(struct name *list, type *elem)                     \
	{                                                                                 \
		elem->link = NULL;                                                        \
		if (list->tail)                                                           \
			list->tail->link = elem;                                          \
		else                                                                      \
			list->head = elem;                                                \
		list->tail = elem;                                                        \
	}                                                                                 \
                                                                                          \
	static inline void name##_push_front(struct name *list, type *elem)               \
	{                                                                                 \
		elem->link = list->head;                                                  \
		list->head = elem;                                                        \
		if (list->tail == NULL)                                                   \
			list->tail = elem;                                                \
	}                                                                                 \
                                                                                          \
	static inline type *name##_pop(struct name *list)                                 \
	{                                                                                 \
		type *elem = list->head;                                                  \
		if (elem) {                                                               \
			list->head = elem->link;                                          \
			if (list->head == NULL)                                           \
				list->tail = NULL;                                        \
			elem->link = NULL;                                                \
		}                                                                         \
		return elem;                                                              \
	}

#endif
