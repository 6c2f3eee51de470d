/** The playground page: plain HTML and a few lines of script, no build step. */
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Understudy playground</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:760px;margin:2em auto;padding:0 1em;color:#222}
#log{border:1px solid #ddd;border-radius:8px;padding:1em;min-height:300px;white-space:pre-wrap}
.me{color:#0a58ca;margin-top:1em}.label{color:#888;font-size:13px}.src{color:#555;font-size:13px}
form{display:flex;gap:.5em;margin-top:1em}input[name=q]{flex:1;padding:.5em}select,button{padding:.5em}
</style></head><body>
<h1>Understudy playground</h1>
<p>Every answer comes from a <b>digital avatar</b>, not the person, and cites its sources.</p>
<select id="avatar"></select>
<div id="log"></div>
<form id="f"><input name="q" placeholder="Ask a question / 输入问题" autocomplete="off"><button>Ask</button></form>
<script>
const log=document.getElementById('log'),sel=document.getElementById('avatar');let conv=String(Date.now());
function add(cls,text){const d=document.createElement('div');d.className=cls;d.textContent=text;log.appendChild(d);log.scrollTop=1e9}
fetch('/playground/api/avatars').then(r=>r.json()).then(list=>{for(const a of list){if(a.status!=='active')continue;const o=document.createElement('option');o.value=a.slug;o.textContent=a.name+' — '+a.title;sel.appendChild(o)}});
sel.onchange=()=>{conv=String(Date.now());log.textContent=''};
document.getElementById('f').onsubmit=async e=>{e.preventDefault();const q=e.target.q.value;if(!q.trim())return;e.target.q.value='';add('me','you: '+q);
const r=await fetch('/playground/api/ask',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({avatar:sel.value,question:q,conversation:conv})});
const j=await r.json();if(!j.ok){add('err',j.error);return}const a=j.answer;add('label',a.disclosure);add('ans',a.text);
for(const c of a.citations)add('src','['+c.n+'] '+c.source+' '+c.locator);};
</script></body></html>`;
