// xss.mjs - hostile mails for the browser test: each tries to run
// script in the agent's browser (alert, or setting top.__pwned) or to
// make it call a remote host. expect: text that must still be shown.
// evil.example is never resolvable; a request to it would be caught
// before any lookup.

const P = 'top.__pwned=1;alert(1)';

export const XSS_MAILS = [
	{ subject: 'XSS script element', text: 'plain part',
		html: '<p>hello script</p><script>' + P + '</script>',
		expect: /hello script/ },
	{ subject: 'XSS event handlers',
		text: 'plain part',
		html: '<p>hello handlers</p><img src="x" onerror="' + P + '">' +
			'<body onload="' + P + '"><div onmouseover="' + P +
			'">hover</div><details open ontoggle="' + P + '">d</details>',
		attachments: [
			{ name: '<img src=x onerror=' + P + '>.html',
				type: 'text/html', data: '<script>' + P + '</script>' },
			{ name: 'pic.svg', type: 'image/svg+xml',
				data: '<svg xmlns="http://www.w3.org/2000/svg" onload="' +
					P + '"/>' },
		],
		expect: /hello handlers/ },
	{ subject: 'XSS javascript links', text: 'plain part',
		html: '<p>hello links</p><a href="javascript:' + P + '">click me</a>' +
			'<a href=" JaVaScRiPt:' + P + '">spaced</a>' +
			'<a href="data:text/html,<script>' + P + '</script>">data</a>' +
			'<a href="vbscript:msgbox(1)">vb</a>',
		expect: /hello links/ },
	{ subject: 'XSS svg', text: 'plain part',
		html: '<p>hello svg</p><svg onload="' + P + '"><script>' + P +
			'</script><a xlink:href="javascript:' + P +
			'"><text>t</text></a></svg>' +
			'<img src="data:image/svg+xml,<svg xmlns=\'http://www.w3.org/' +
			'2000/svg\' onload=\'' + P + '\'/>">',
		expect: /hello svg/ },
	{ subject: 'XSS css', text: 'plain part',
		html: '<style>body{background:url(http://evil.example/bg.png)}' +
			'@import url(http://evil.example/x.css);</style>' +
			'<p style="width:expression(' + P + ');background-image:' +
			'url(http://evil.example/p.png)">hello css</p>' +
			'<link rel="stylesheet" href="http://evil.example/l.css">',
		expect: /hello css/ },
	{ subject: 'XSS remote images', text: 'plain part',
		html: '<p>hello images</p><img src="http://evil.example/track.png">' +
			'<img src="https://evil.example/pixel.gif" width="1" height="1">' +
			'<img srcset="http://evil.example/s.png 2x">' +
			'<picture><source srcset="http://evil.example/p.png"></picture>' +
			'<table background="http://evil.example/t.png"><tr><td>' +
			'cell</td></tr></table>',
		expect: /hello images/ },
	{ subject: 'XSS frames and forms', text: 'plain part',
		html: '<p>hello frames</p><iframe src="javascript:' + P +
			'"></iframe><iframe srcdoc="<script>' + P + '</script>">' +
			'</iframe><object data="http://evil.example/x.swf"></object>' +
			'<embed src="http://evil.example/e.swf"><form action="http://' +
			'evil.example/"><input name="a" value="b"><button>go</button>' +
			'</form><meta http-equiv="refresh" content="0;url=http://' +
			'evil.example/"><base href="http://evil.example/">' +
			'<a href="/relative">relative</a>',
		expect: /hello frames/ },
	{ subject: 'XSS parser tricks', text: 'plain part',
		html: '<p>hello parser</p><math><mtext><table><mglyph><style>' +
			'<img src=x onerror="' + P + '">' +
			'<noscript><p title="</noscript><img src=x onerror=' + P +
			'>"></noscript><!--<img src=x onerror=' + P + '>-->' +
			'<textarea><img src=x onerror=' + P + '></textarea>' +
			'<template><img src=x onerror=' + P + '></template>',
		expect: /hello parser/ },
	{ subject: 'XSS in plain text <img src=x onerror="' + P + '">',
		from: '"<img src=x onerror=' + P + '>" <mallory@example.org>',
		text: '<script>' + P + '</script>\n<img src=x onerror="' + P +
			'"> text only',
		expect: /<script>/ },
];
