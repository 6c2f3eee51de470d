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
// The token (when the server has PLAYGROUND_TOKEN) arrives in the URL fragment, which is never
// sent to the server or in a Referer; it is kept for this tab only and removed from the address bar.
const m=/[#&]token=([^&]+)/.exec(location.hash);if(m){sessionStorage.setItem('pgToken',decodeURIComponent(m[1]));history.replaceState(null,'',location.pathname)}
const token=sessionStorage.getItem('pgToken');
const log=document.getElementById('log'),sel=document.getElementById('avatar');let session='',conv='';
function add(cls,text){const d=document.createElement('div');d.className=cls;d.textContent=text;log.appendChild(d);log.scrollTop=1e9}
function headers(){const h={'content-type':'application/json'};if(token)h.authorization='Bearer '+token;if(session)h['x-playground-session']=session;return h}
async function api(path,body){const r=await fetch(path,body===undefined?{headers:headers()}:{method:'POST',headers:headers(),body:JSON.stringify(body)});let j={};try{j=await r.json()}catch(e){}if(r.status===401)add('err','This playground needs its token: open it as /#token=<PLAYGROUND_TOKEN>.');return {status:r.status,body:j}}
// Conversation ids come from the server (random, tied to this tab's session), never from the page.
async function fresh(){const r=await api('/playground/api/conversations',{});if(r.status!==201)return false;session=r.body.session;conv=r.body.conversation;return true}
api('/playground/api/avatars').then(r=>{if(!Array.isArray(r.body))return;for(const a of r.body){if(a.status!=='active')continue;const o=document.createElement('option');o.value=a.slug;o.textContent=a.name+' — '+a.title;sel.appendChild(o)}});
sel.onchange=async()=>{log.textContent='';await fresh()};
document.getElementById('f').onsubmit=async e=>{e.preventDefault();const q=e.target.q.value;if(!q.trim())return;e.target.q.value='';add('me','you: '+q);
if(!conv&&!(await fresh()))return;
let r=await api('/playground/api/ask',{avatar:sel.value,question:q,conversation:conv});
if(r.status===403&&!r.body.notices){if(!(await fresh()))return;r=await api('/playground/api/ask',{avatar:sel.value,question:q,conversation:conv})}
for(const n of r.body.notices||[])add('label',n);
if(!r.body.answer){if(r.body.error)add('err',r.body.error);return}const a=r.body.answer;add('label',a.disclosure);add('ans',a.text);
for(const c of a.citations)add('src','['+c.n+'] '+c.source+' '+c.locator);};
</script></body></html>`;
