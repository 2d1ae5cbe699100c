/*
 * population.h: an exercise's affected certificates, generated
 * (core/population.c), shared by the scenario (core/scenario.c) and the
 * inject that finds more of them (core/inject.c, effect more-certs).
 */
#ifndef WR_POPULATION_H
#define WR_POPULATION_H

#include "internal.h"

#define WR_POP_VALIDITY_MAX 8
struct wr_pop_validity {
	int64_t secs;  /* a lifetime, notBefore to notAfter */
	double weight; /* its share of the certificates, 0..1 */
};
/* A customer the scenario names, so that an inject can address it. */
struct wr_pop_customer {
	const char *name, *contact; /* contact NULL: ops@ its domain */
	bool critical;
	int64_t certs; /* how many of the population are its own */
};
struct wr_population {
	int64_t count;	   /* certificates in all */
	int64_t real;	   /* of those, signed by the exercise CA for real */
	int64_t customers; /* named ones included */
	double critical;   /* share of the customers in critical infrastructure */
	double expired;	   /* share of the certificates expired at the start */
	struct wr_pop_validity validity[WR_POP_VALIDITY_MAX];
	size_t nvalidity;
	int endpoints_min, endpoints_max; /* 0, 0: the certificate's names on 443 */
	uint64_t seed;
	const struct wr_pop_customer *named;
	size_t nnamed;
};

/* The exercise's own test CA: DIR/ca.key (EC P-256, mode 0600) and
 * DIR/ca.pem (self-signed, 0644), DIR made 0700 when missing. An existing
 * pair is kept (an exercise started again on the same directory). */
int wr_population_ca(struct wr_db *db, const char *dir, int64_t now);
/* Fills the exercise with p at instant now: p->real certificates signed
 * by DIR's CA (DIR/real.pem) imported as any import does, with their
 * customers (DIR/customers.csv), then the rest as rows of the cert table
 * marked synthetic, in one transaction. Records p in meta 'population'
 * for wr_population_more. */
int wr_population_fill(struct wr_db *db, const struct wr_population *p, const char *dir,
		       int64_t now);
/* n more synthetic certificates of the recorded population, at now, all
 * of customer's when customer is not NULL (the customer is made when
 * missing), else spread as the population is. *added: how many. */
int wr_population_more(struct wr_db *db, int64_t n, const char *customer, int64_t *added);

#endif
