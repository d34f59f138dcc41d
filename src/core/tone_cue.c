/*
 * tone_cue.c - frustration, anger, confusion, urgency, cheer and abuse
 * of a message, from cue phrases and signs.
 *
 * Model: what support agents read as tone (see the TAHT essay among the
 * design texts: "Need this fixed ASAP!!!!", "This hasn't worked in a week
 * and I am getting really frustrated", "I must be missing something
 * simple") is written down as cue patterns over tokens, each with the
 * dimension it shows and a weight; a cue about a feeling does not count
 * when a negation stands just before it ("not urgent", "I'm not angry").
 * Signs that are not words follow: runs of "!!" and "?!", words in
 * CAPITALS among lower-case words, emoticons and emoji, and the message's
 * sentiment. Every match becomes evidence with its text as written.
 *
 * Abuse is an insult or slur aimed at a person or the company: "you
 * idiots", "your useless staff", "bunch of clowns", "f*** you". Swearing
 * about a situation ("this damn app is useless") is anger, not abuse.
 *
 * The register (formal or relaxed) has a file of its own,
 * tone_register.c.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include "tone_impl.h"

enum {
	C_NB = 1,   /* not when negated just before: "not urgent" */
	C_STOP = 2, /* no further cue starts at this token */
	C_NWELL = 4 /* not just after a word that says all is well:
	               "it works now!" is no hurry */
};

struct cue {
	const char *pat;
	enum tone_dim dim;
	double w;
	int flags;
};

#define F TONE_FRUSTRATION
#define A TONE_ANGER
#define C TONE_CONFUSION
#define U TONE_URGENCY
#define H TONE_CHEER
#define X TONE_ABUSE

/* Intensifiers between the "and" of a list and its insult: the fillers
 * (tone_token.c) but the definite article and the words of "bunch of". */
#define CONJ_FILL "*a|an|such|complete|total|totally|absolute|absolutely|" \
	"utter|utterly|fucking|fuckin|bloody|freaking|frigging|damn|just|" \
	"really|completely|entirely|truly|pure|very|fkn|effing|incredibly|" \
	"stupid|useless "

static const struct cue cues[] = {
	/* abuse first: it must find room in the evidence */
	{ "@YOUARE *@FILL @INSULT|@INSADJ", X, 1.0, 0 },
	{ "are|r @YOU *@FILL @INSULT|@INSADJ", X, 1.0, 0 },
	{ "@YOU *@FILL @INSULT", X, 1.0, 0 },
	/* an insult that ends a list said of "you": "you are scammers and
	 * idiots", "you guys are slow, lazy and stupid", "you scammers and
	 * thieves"; after the "and" no article, so "you are right and the
	 * idiots at the depot lost it" is about someone else, and the
	 * sentence ends there, so "you are right and stupid me forgot it"
	 * or "you are quick and useless people at the bank are slow" is
	 * not said of "you" */
	{ "@YOUARE *@FILL @WORD *@WORD|@COMMA and|or " CONJ_FILL
	  "@INSULT|@INSADJ @END", X, 1.0, 0 },
	{ "@YOU @WORD ?@COMMA ?@WORD and|or " CONJ_FILL "@INSULT @END", X,
	  1.0, 0 },
	{ "your|ur *@FILL @INSULT|@INSADJ @TARGET", X, 1.0, 0 },
	{ "your|ur|the ?@TARGET @TARGET @BE *@FILL @INSULT|@INSADJ", X, 1.0,
	  0 },
	{ "your|this company|business|firm|outfit|department @BE *@FILL "
	  "@INSULT", X, 1.0, 0 },
	{ "bunch|pack|band|load|lot|gang of *@FILL @INSULT", X, 1.0, 0 },
	{ "run|staffed|managed by *@FILL @INSULT", X, 1.0, 0 },
	{ "fuck|fck|fuk|screw|sod you|u|off|yourself|yourselves", X, 1.0, 0 },
	{ "go fuck|screw yourself|yourselves", X, 1.0, 0 },
	{ "go to hell", X, 1.0, 0 },
	{ "burn|rot in hell", X, 1.0, 0 },
	{ "drop dead", X, 1.0, 0 },
	{ "kill yourself|yourselves", X, 1.0, 0 },
	{ "shut up", X, 1.0, 0 },
	{ "shut the fuck up", X, 1.0, 0 },
	{ "stfu|gtfo", X, 1.0, 0 },
	{ "piss off", X, 1.0, 0 },
	{ "eat shit", X, 1.0, 0 },
	{ "@YOU suck|sucks", X, 1.0, 0 },
	{ "@SLUR", X, 1.0, 0 },

	/* cheer, with the forms that are not cheer first */
	{ "thanks|thank for nothing", A, 0.6, C_STOP },
	{ "thanks|thank ?you in advance", H, 0.3, C_STOP },
	{ "thanks|thank|thx|ty|tysm|thnx|thanx|thankyou|cheers ?you "
	  "so|very|a ?so much|lot|million|bunch|ton|tons|heaps|loads", H, 0.9,
	  C_STOP },
	{ "many|big|huge thanks", H, 0.9, C_STOP },
	{ "thanks|thank|thx|ty|tysm|thnx|thanx|thankyou", H, 0.6, C_NB },
	{ "appreciate*|grateful|thankful", H, 0.5, C_NB },
	{ "awesome|amazing|fantastic|wonderful|brilliant|excellent|great|"
	  "perfect|lovely|superb|love|delighted|thrilled|excited|happy|glad|"
	  "pleased|yay|woohoo|hooray|wow", H, 0.3, C_NB },
	{ "@YOU|you're|youre ?are ?the rock|rocks|best|stars|heroes|legends",
	  H, 0.8, 0 },
	{ "lifesaver|life-saver|legend", H, 0.8, 0 },
	{ "life saver", H, 0.8, 0 },
	{ "saved my day|life|bacon|skin|weekend", H, 0.8, 0 },
	{ "made my day", H, 0.8, 0 },
	{ "have|enjoy a nice|good|great|lovely|wonderful|fantastic "
	  "day|weekend|evening|one|week", H, 0.5, 0 },
	{ "haha*|hehe*|lol|lmao|rofl|xd", H, 0.5, 0 },

	/* frustration */
	{ "still @NOT work*|function*|fixed|resolved|solved|sorted|load*|"
	  "open*|receive*|received|get|got|heard|arrived|showing|show|sync*|"
	  "connect*|respond*", F, 1.0, 0 },
	{ "still broken|waiting|failing|crashing|down|stuck|happening|"
	  "unresolved|pending|missing|charging|having|getting|seeing|"
	  "nothing|no", F, 0.7, 0 },
	{ "@NOT work*|function*", F, 0.5, 0 },
	{ "stopped|stops working|functioning", F, 0.5, 0 },
	{ "yet|once again", F, 0.7, 0 },
	{ "again and again", F, 0.7, 0 },
	{ "over and over", F, 0.7, 0 },
	{ "time and|after time|again", F, 0.7, 0 },
	{ "second|third|fourth|fifth|sixth|2nd|3rd|4th|5th|6th|umpteenth|"
	  "nth|tenth|hundredth|millionth time", F, 0.9, 0 },
	{ "@NUM|several|multiple|many|countless|numerous|dozen|dozens|million "
	  "?of times", F, 0.6, 0 },
	{ "a|so @NUM|several|multiple|many|countless|numerous|dozen|dozens|"
	  "million ?of times", F, 0.6, 0 },
	{ "how many ?more times", F, 0.9, 0 },
	{ "every single time", F, 0.4, 0 },
	{ "keep|keeps|kept getting|crashing|failing|happening|freezing|"
	  "asking|saying|telling|logging|dropping|disconnecting|breaking|"
	  "charging|sending|showing|coming|crash|fail", F, 0.6, 0 },
	{ "for|in|over ?the ?last|past ?@NUM|a|several|many|few "
	  "days|weeks|months|week|month|ages|years", F, 0.3, 0 },
	{ "since @DAY|yesterday|last|@MONTH", F, 0.4, 0 },
	{ "no one ?has|have|had|ever respond*|repl*|answer*|help*|contact*|"
	  "call*|fix*|bother*|got|gotten|get", F, 0.8, 0 },
	{ "nobody|noone ?has|have|had|ever respond*|repl*|answer*|help*|"
	  "contact*|call*|fix*|bother*|got|gotten|get", F, 0.8, 0 },
	{ "no response|reply|answer|update|feedback|word|callback", F, 0.7, 0 },
	{ "@NOT heard back|anything|from", F, 0.7, 0 },
	{ "@NOT received|gotten|got|had a|an|any response|reply|answer|update|"
	  "refund", F, 0.7, 0 },
	{ "sick|tired ?and ?tired of", F, 0.9, 0 },
	{ "fed up", F, 0.9, 0 },
	{ "had enough", F, 0.7, 0 },
	{ "wit's|wits end", F, 0.9, 0 },
	{ "frustrat*", F, 1.0, C_NB },
	{ "annoy*|irritat*|aggravat*", F, 0.6, C_NB },
	{ "exasperat*", F, 0.8, C_NB },
	{ "disappoint*", F, 0.5, C_NB },
	{ "ugh|argh|grr*|sigh|ffs", F, 0.6, 0 },
	{ "come on @EXCL", F, 0.5, 0 },
	{ "are you kidding|serious|joking", F, 0.6, 0 },
	{ "as i ?already|have|'ve said|mentioned|explained|stated|wrote|told|"
	  "noted", F, 0.7, 0 },
	{ "like i said", F, 0.7, 0 },
	{ "i|i've|we|we've ?have already told|said|explained|tried|sent|"
	  "provided|given|gave|done|asked|contacted|called|emailed|written|"
	  "reported|restarted|reinstalled|checked", F, 0.6, 0 },
	{ "tried everything", F, 0.6, 0 },
	{ "waste of ?my|our time", F, 0.8, 0 },
	{ "wasted ?my|our ?so ?much|many hours|days|time|weeks|money", F, 0.8,
	  0 },
	{ "what's|whats going on", F, 0.4, 0 },
	{ "what is going on", F, 0.4, 0 },
	{ "@NOT good enough|acceptable", F, 0.6, 0 },

	/* anger */
	{ "angry|furious|livid|outraged|enraged|irate|pissed|fuming|"
	  "infuriat*|incensed|seething", A, 0.9, C_NB },
	{ "hate|disgust*|unacceptable|outrageous|appalling|appalled|"
	  "disgrace*|shameful|atrocious|abysmal|deplorable|pathetic", A, 0.6,
	  C_NB },
	{ "ridiculous|absurd|shocking|horrendous|mad", A, 0.4, C_NB },
	{ "@BE a joke", A, 0.6, 0 },
	{ "what a joke", A, 0.6, 0 },
	{ "worst", A, 0.5, C_NB },
	{ "terrible|horrible|awful|lousy|dreadful|useless|incompetent|"
	  "incompetence", A, 0.3, C_NB },
	{ "scam*|ripoff|rip-off|fraud*|steal|stealing|stole|robbed|robbery|"
	  "extortion|crooked", A, 0.6, 0 },
	{ "rip|ripped off", A, 0.6, 0 },
	{ "lawyer|lawyers|attorney|solicitor|lawsuit|sue|suing|chargeback|"
	  "bbb|ombudsman|regulator", A, 0.7, 0 },
	{ "legal action", A, 0.8, 0 },
	{ "small claims", A, 0.7, 0 },
	{ "trading standards", A, 0.7, 0 },
	{ "report|reporting you|this|your", A, 0.5, 0 },
	{ "dispute the|this charge", A, 0.6, 0 },
	{ "charge back", A, 0.6, 0 },
	{ "cancel ?my account|subscription|order|membership|contract|service",
	  A, 0.3, 0 },
	{ "never again", A, 0.5, 0 },
	{ "never buy|use|order|recommend|shop", A, 0.5, 0 },
	{ "how dare", A, 0.9, 0 },
	{ "what the hell|heck|fuck", A, 0.7, 0 },
	{ "wtf|omfg", A, 0.6, 0 },
	{ "fuck*|shit|shitty|bullshit|crap|crappy|damn*|goddamn*|bloody|hell|"
	  "piss*|bs", A, 0.4, 0 },
	{ "screw this|that|it", A, 0.5, 0 },

	/* confusion */
	{ "@NOT understand|comprehend|follow", C, 0.9, 0 },
	{ "@NOT get|see it|how|why|what|where|this", C, 0.6, 0 },
	{ "@NOT know|sure how|what|why|where|which|if|whether|when", C, 0.7,
	  0 },
	{ "@NOT sure", C, 0.4, 0 },
	{ "@NOT figure|work out", C, 0.6, 0 },
	{ "@NOT find|locate", C, 0.4, 0 },
	{ "@NOT make|makes sense", C, 0.8, 0 },
	{ "makes|made no sense", C, 0.8, 0 },
	{ "confus*", C, 0.9, C_NB },
	{ "puzzl*|baffl*|perplex*|bewilder*|mystif*", C, 0.8, C_NB },
	{ "unclear", C, 0.6, C_NB },
	{ "no idea|clue", C, 0.6, 0 },
	{ "i'm|im|am|feel|felt *so|completely|totally|a|bit|little|kind|"
	  "kinda|of|quite|really|very lost", C, 0.7, 0 },
	{ "what does|do *this|that|it|the|these|error|message|code|word|term|"
	  "field|option|setting|status|button mean|means", C, 0.7, 0 },
	{ "what am i doing|missing", C, 0.7, 0 },
	{ "am i missing something", C, 0.6, 0 },
	{ "must be missing something", C, 0.6, 0 },
	{ "i'm|im missing something", C, 0.5, 0 },
	{ "how do|can|should|would|am i|we", C, 0.4, 0 },
	{ "where do|can|should i|we", C, 0.3, 0 },
	{ "which one|option|plan|button|setting|version", C, 0.3, 0 },
	{ "explain|clarify", C, 0.4, 0 },
	{ "supposed to", C, 0.3, 0 },
	{ "help me understand", C, 0.6, 0 },
	{ "huh|hmm*|hm", C, 0.3, 0 },
	{ "@QQ", C, 0.5, 0 },
	{ "i'm|im|am new to|here|at", C, 0.3, 0 },
	{ "@NOT *very|really|that|a|great|good|particularly tech|techy|"
	  "technical|tech-savvy|savvy|computer|expert", C, 0.4, 0 },

	/* urgency, and what takes it back */
	{ "no rush|hurry|pressure", U, -0.9, C_STOP },
	{ "@NOT urgent|a priority", U, -0.9, C_STOP },
	{ "take your time", U, -0.8, 0 },
	{ "in your own time", U, -0.8, 0 },
	{ "at your convenience|leisure", U, -0.6, 0 },
	{ "when|whenever you ?can|get|have ?a chance|moment|minute|time", U,
	  -0.5, 0 },
	{ "asap|a.s.a.p", U, 1.0, 0 },
	{ "urgent|urgently|urgency", U, 0.9, C_NB },
	{ "emergency", U, 0.8, C_NB },
	{ "as soon as possible", U, 0.9, 0 },
	{ "as soon as you can", U, 0.5, 0 },
	{ "as quickly|fast as possible", U, 0.8, 0 },
	{ "immediately|immediate", U, 0.6, C_NB },
	{ "right away|now", U, 0.4, 0 },
	{ "straight away", U, 0.5, 0 },
	{ "at once", U, 0.5, 0 },
	{ "critical|crucial", U, 0.5, C_NB },
	{ "time sensitive|critical", U, 0.7, C_NB },
	{ "deadline|deadlines", U, 0.6, 0 },
	{ "hurry|rush", U, 0.5, C_NB },
	{ "quickly|quicker|faster|soon|sooner", U, 0.25, C_NB },
	{ "soonest", U, 0.6, 0 },
	{ "today|tonight", U, 0.2, 0 },
	{ "by|before|until|till today|tonight|tomorrow|@DAY|noon|midnight|"
	  "eod|cob|eow|@TIME|@MONTH", U, 0.7, 0 },
	{ "by|before ?the end|close of ?the ?day|week|month|business", U, 0.7,
	  0 },
	{ "by|before this|next @DAY|morning|afternoon|evening|week|weekend|"
	  "month", U, 0.6, 0 },
	{ "within ?the ?next @NUM|an|the|24 hour|hours|minutes|mins|hrs|days|"
	  "hour|day", U, 0.6, 0 },
	{ "eod|eow|cob", U, 0.5, 0 },
	{ "production|prod|site|website|server|servers|system|systems|"
	  "service|app|store|shop|checkout|everything|platform|database|"
	  "network|api ?is|are|went|has|have ?gone|been down|offline", U, 0.7,
	  0 },
	{ "outage", U, 0.5, 0 },
	{ "losing|lose|lost money|sales|customers|business|revenue|orders|"
	  "data|clients", U, 0.8, 0 },
	{ "blocking|blocked|blocker", U, 0.3, 0 },
	{ "customers|clients ?are waiting|complaining", U, 0.5, 0 },
	{ "need|needs it|this fixed|resolved|sorted|done", U, 0.4, 0 },
	{ "now @EXCL", U, 0.5, C_NWELL },
	{ "my|our flight|meeting|presentation|event|launch|demo|exam|"
	  "interview|wedding|trip|conference ?is|starts|leaves|begins "
	  "tomorrow|today|tonight|soon", U, 0.5, 0 },
};

#undef F
#undef A
#undef C
#undef U
#undef H
#undef X

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct tone_patidx cue_idx;
static pthread_once_t cue_once = PTHREAD_ONCE_INIT;

static void
cue_index(void)
{
	tone_patidx_build(&cue_idx, &cues[0].pat, COUNT(cues), sizeof(cues[0]));
}

int
tone_cue_selfcheck(void)
{
	pthread_once(&cue_once, cue_index);
	return cue_idx.ok ? 0 : 1;
}

/* A negation in the three words before i, within its clause. */
static int
negated_before(const struct tone_text *tx, size_t i)
{
	size_t d;

	for (d = 1; d <= 3 && d <= i; d++) {
		if (tone_tok_clause_end(tx, i - d))
			return 0;
		if (tone_tok_negator(tx, i - d) ||
		    strcmp(tx->t[i - d].low, "no") == 0)
			return 1;
	}
	return 0;
}

/* The word before i says all is well ("works", "fine", "sorted"). */
static int
well_before(const struct tone_text *tx, size_t i)
{
	static const char *const well[] = { "work", "works", "working",
		"worked", "fine", "ok", "okay", "fixed", "sorted", "resolved",
		"solved", "good", "great", "perfect", "better", "perfectly",
		NULL };
	size_t k;

	if (i == 0 || tx->t[i - 1].kind != TT_WORD)
		return 0;
	for (k = 0; well[k]; k++)
		if (strcmp(tx->t[i - 1].low, well[k]) == 0)
			return 1;
	return 0;
}

/* Counts weight w for dim, less each time the same cue comes back (the
 * third "!!!" says little new; *hits counts them), and the evidence. */
static void
add(struct tone_acc *acc, const struct tone_text *tx, size_t a, size_t b,
    enum tone_dim dim, double w, unsigned *hits)
{
	acc->raw[dim] += w / (1.0 + (double)*hits);
	if (*hits < 100)
		(*hits)++;
	tone_evidence_add(acc->out, tx, a, b, dim, w);
}

static int
in_cps(uint32_t cp, const uint32_t *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == cp)
			return 1;
	return 0;
}

static const uint32_t anger_emoji[] = { 0x1F620, 0x1F621, 0x1F92C,
	0x1F47F, 0x1F4A2 };
static const uint32_t frustration_emoji[] = { 0x1F624, 0x1F629, 0x1F62B,
	0x1F644, 0x1F926, 0x1F612, 0x1F611, 0x1F62D, 0x1F61E };
static const uint32_t confusion_emoji[] = { 0x1F615, 0x1F914, 0x1F937,
	0x2753, 0x2754, 0x1F635, 0x1F92F, 0x1F928 };
static const uint32_t urgency_emoji[] = { 0x1F6A8, 0x23F0, 0x231B,
	0x23F3, 0x2757, 0x2755 };
static const char *const confused_emoticons[] = { ":/", ":-/", ":s",
	":-s", "o_o", "o.o", ":\\", ":-\\", "=/", NULL };

/* Emoticons and emoji: their feeling as evidence. */
static void
signs(const struct tone_text *tx, size_t i, struct tone_acc *acc,
    unsigned *hits)
{
	const struct tone_tok *t = &tx->t[i];
	double v = 0.0;
	size_t k;

	if (t->kind == TT_EMOJI) {
		uint32_t cp = t->cp;

		if (in_cps(cp, anger_emoji, COUNT(anger_emoji)))
			add(acc, tx, i, i + 1, TONE_ANGER, 0.7,
			    &hits[TONE_ANGER]);
		else if (in_cps(cp, frustration_emoji, COUNT(frustration_emoji)))
			add(acc, tx, i, i + 1, TONE_FRUSTRATION, 0.5,
			    &hits[TONE_FRUSTRATION]);
		else if (in_cps(cp, confusion_emoji, COUNT(confusion_emoji)))
			add(acc, tx, i, i + 1, TONE_CONFUSION, 0.5,
			    &hits[TONE_CONFUSION]);
		else if (in_cps(cp, urgency_emoji, COUNT(urgency_emoji)))
			add(acc, tx, i, i + 1, TONE_URGENCY, 0.4,
			    &hits[TONE_URGENCY]);
		else if (tone_lex_emoji(cp, &v) && v > 0.5)
			add(acc, tx, i, i + 1, TONE_CHEER, 0.5,
			    &hits[TONE_CHEER]);
		else if (v < -0.5)
			add(acc, tx, i, i + 1, TONE_FRUSTRATION, 0.4,
			    &hits[TONE_FRUSTRATION]);
		return;
	}
	if (t->kind != TT_EMOTICON)
		return;
	for (k = 0; confused_emoticons[k]; k++)
		if (strcmp(t->low, confused_emoticons[k]) == 0) {
			add(acc, tx, i, i + 1, TONE_CONFUSION, 0.5,
			    &hits[TONE_CONFUSION]);
			return;
		}
	if (!tone_lex_vader(t->low, &v))
		return;
	if (v > 0.5)
		add(acc, tx, i, i + 1, TONE_CHEER, 0.5, &hits[TONE_CHEER]);
	else if (v <= -2.0)
		add(acc, tx, i, i + 1, TONE_ANGER, 0.5, &hits[TONE_ANGER]);
	else if (v < -0.5)
		add(acc, tx, i, i + 1, TONE_FRUSTRATION, 0.4,
		    &hits[TONE_FRUSTRATION]);
}

/* "!!", "?!", and words in CAPITALS: what they stress depends on the
 * message around them. */
static void
emphasis(const struct tone_text *tx, struct tone_acc *acc)
{
	size_t i, j, nwords = 0, ncaps = 0, shown = 0;
	double s = acc->sentiment, v;
	enum tone_dim stress;
	unsigned hits[3] = { 0, 0, 0 };
	int shouting;

	stress = s < -0.3 ? TONE_ANGER : s < -0.05 ? TONE_FRUSTRATION :
	    s > 0.3 ? TONE_CHEER : acc->raw[TONE_URGENCY] > 0 ? TONE_URGENCY :
	    TONE_FRUSTRATION;
	for (i = 0; i < tx->n; i++) {
		if (tx->t[i].kind == TT_WORD && strlen(tx->t[i].low) >= 2) {
			nwords++;
			ncaps += tx->t[i].caps;
		}
	}
	shouting = nwords >= 2 && ncaps * 10 >= nwords * 7;
	for (i = 0; i < tx->n; i++) {
		const struct tone_tok *t = &tx->t[i];

		if (t->kind == TT_PUNCT && strchr(t->low, '!') &&
		    strchr(t->low, '?')) {
			add(acc, tx, i, i + 1, TONE_FRUSTRATION, 0.4, &hits[0]);
		} else if (t->kind == TT_PUNCT && strstr(t->low, "!!")) {
			add(acc, tx, i, i + 1, stress, 0.3, &hits[1]);
			if (stress == TONE_ANGER)
				acc->raw[TONE_FRUSTRATION] += 0.15;
		} else if (t->kind == TT_PUNCT && strstr(t->low, "??") &&
		    s < -0.3) {
			acc->raw[TONE_FRUSTRATION] += 0.3;
		}
		if (t->kind != TT_WORD || !t->caps || shown >= 3)
			continue;
		/* acronyms (USB, PDF) are not stress: a caps word counts
		 * when long or when it carries meaning */
		if (!(strlen(t->low) >= 5 || tone_lex_word(t->low, &v) ||
		    tone_lex_negator(t->low) || tone_lex_booster(t->low, &v)) ||
		    strcmp(t->low, "asap") == 0)
			continue;
		for (j = i + 1; j < tx->n && tx->t[j].kind == TT_WORD &&
		    tx->t[j].caps; j++)
			;
		/* a message in capitals is shouting, once */
		add(acc, tx, i, j, stress, shouting ? 0.8 : 0.25, &hits[2]);
		shown = shouting ? 3 : shown + 1;
		i = j - 1;
	}
}

void
tone_cues(const struct tone_text *tx, struct tone_acc *acc)
{
	unsigned hits[COUNT(cues)], sign_hits[TONE_DIM_COUNT];
	size_t i, k, c, nc, end, covered[TONE_DIM_COUNT];
	uint16_t cand[COUNT(cues)];
	int again = 0;

	pthread_once(&cue_once, cue_index);
	memset(hits, 0, sizeof(hits));
	memset(covered, 0, sizeof(covered));
	memset(sign_hits, 0, sizeof(sign_hits));
	for (i = 0; i < tx->n; i++) {
		signs(tx, i, acc, sign_hits);
		if (tx->t[i].kind == TT_WORD && strcmp(tx->t[i].low, "again") == 0)
			again = 1;
		nc = tone_patidx_find(&cue_idx, tx, i, cand, COUNT(cues));
		for (c = 0; c < nc; c++) {
			k = cand[c];
			end = tone_patidx_match(&cue_idx, k, tx, i);
			if (end == 0)
				continue;
			if ((cues[k].flags & C_NB) && negated_before(tx, i))
				continue;
			if ((cues[k].flags & C_NWELL) && well_before(tx, i))
				continue;
			/* "still not working" holds "not working": count the
			 * longer cue once */
			if (i < covered[cues[k].dim])
				continue;
			covered[cues[k].dim] = end;
			add(acc, tx, i, end, cues[k].dim, cues[k].w, &hits[k]);
			if (cues[k].flags & C_STOP)
				break;
		}
	}
	emphasis(tx, acc);
	/* "again" in an unhappy message: it happened before */
	if (again && acc->sentiment < -0.05 && acc->raw[TONE_FRUSTRATION] == 0)
		acc->raw[TONE_FRUSTRATION] += 0.3;
	/* the sentiment itself */
	if (acc->sentiment < 0) {
		acc->raw[TONE_FRUSTRATION] += -acc->sentiment * 0.5;
		if (acc->sentiment < -0.5)
			acc->raw[TONE_ANGER] += (-acc->sentiment - 0.5) * 0.6;
	} else {
		acc->raw[TONE_CHEER] += acc->sentiment * 0.5;
	}
	if (acc->raw[TONE_ABUSE] > 0)
		acc->raw[TONE_ANGER] += 0.8;
}

static size_t
utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

void
tone_evidence_add(struct tone *t, const struct tone_text *tx, size_t a,
    size_t b, enum tone_dim dim, double w)
{
	struct tone_evidence *e;
	const char *src;
	size_t n, i, k;

	if (b <= a || b > tx->n)
		return;
	src = tx->src + tx->t[a].off;
	n = tx->t[b - 1].off + tx->t[b - 1].len - tx->t[a].off;
	n = utf8_cut(src, n, TONE_EVIDENCE_TEXT - 1);
	for (k = 0; k < t->n_evidence; k++) {
		e = &t->evidence[k];
		if (e->dim == dim && strlen(e->text) == n &&
		    strncasecmp(e->text, src, n) == 0)
			return;
	}
	if (t->n_evidence < TONE_MAX_EVIDENCE) {
		e = &t->evidence[t->n_evidence++];
	} else if (dim == TONE_ABUSE) {
		for (k = TONE_MAX_EVIDENCE; k > 0; k--)
			if (t->evidence[k - 1].dim != TONE_ABUSE)
				break;
		if (k == 0)
			return;
		e = &t->evidence[k - 1];
	} else {
		return;
	}
	e->dim = dim;
	e->weight = w;
	/* one line of valid UTF-8: control characters and stray bytes
	 * between the tokens are replaced */
	for (i = 0, k = 0; i < n;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t m = utf8proc_iterate(
		    (const utf8proc_uint8_t *)src + i,
		    (utf8proc_ssize_t)(n - i), &cp);

		if (m <= 0 || cp < 0x20) {
			e->text[k++] = m <= 0 ? '?' : ' ';
			i++;
			continue;
		}
		memcpy(e->text + k, src + i, (size_t)m);
		k += (size_t)m;
		i += (size_t)m;
	}
	e->text[k] = '\0';
}
