// first.js - in the head of a page that tamed sent with the Unassigned
// view's first rows already in it (src/net/http_first.c); runs before
// they are painted. When the address asks for another view or a
// ticket, they are not shown: the app draws what was asked for. The
// same test as FIRST_VIEW of queue.js (a module, too late here).
if (!/^(#\/?(inbox\/unassigned\/?)?)?$/.test(location.hash))
	document.documentElement.classList.add('not-first');
