// xss.mjs - hostile mails for the browser test: each tries to run
// script in the agent's browser (alert, or setting top.__pwned) or to
// make it call a remote host. expect: text that must still be shown.
// evil.example is never resolvable; a request to it would be caught
// before any lookup. xssMails(host) writes the same corpus with another
// "remote" host (remote.mjs uses a local HTTP server that counts what it
// is asked for); images: the paths a remote <img> of each mail asks
// for, the only requests "Show remote images" may make.

const P = 'top.__pwned=1;alert(1)';

export const xssMails = (E) => [
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
		html: '<style>body{background:url(http://' + E + '/bg.png)}' +
			'@import url(http://' + E + '/x.css);</style>' +
			'<p style="width:expression(' + P + ');background-image:' +
			'url(http://' + E + '/p.png)">hello css</p>' +
			'<link rel="stylesheet" href="http://' + E + '/l.css">',
		expect: /hello css/ },
	{ subject: 'XSS remote images', text: 'plain part',
		html: '<p>hello images</p><img src="http://' + E + '/track.png">' +
			'<img src="https://' + E + '/pixel.gif" width="1" height="1">' +
			'<img srcset="http://' + E + '/s.png 2x">' +
			'<picture><source srcset="http://' + E + '/p.png"></picture>' +
			'<table background="http://' + E + '/t.png"><tr><td>' +
			'cell</td></tr></table>',
		images: ['/track.png'],
		expect: /hello images/ },
	{ subject: 'XSS remote images with handlers', text: 'plain part',
		html: '<p>hello handlers on images</p><img src="http://' + E +
			'/ok.png" onload="' + P + '" onerror="' + P + '">' +
			'<img src="http://' + E + '/missing.png" onerror="' + P +
			'"><script>' + P + '</script>',
		images: ['/ok.png', '/missing.png'],
		expect: /hello handlers on images/ },
	{ subject: 'XSS frames and forms', text: 'plain part',
		html: '<p>hello frames</p><iframe src="javascript:' + P +
			'"></iframe><iframe srcdoc="<script>' + P + '</script>">' +
			'</iframe><object data="http://' + E + '/x.swf"></object>' +
			'<embed src="http://' + E + '/e.swf"><form action="http://' +
			E + '/"><input name="a" value="b"><button>go</button>' +
			'</form><meta http-equiv="refresh" content="0;url=http://' +
			E + '/"><base href="http://' + E + '/">' +
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

export const XSS_MAILS = xssMails('evil.example');
