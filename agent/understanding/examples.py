"""What borrowers say for each intent: the examples the similarity classifier compares with.

Written the way people type on WhatsApp and SMS in Trinidad and Tobago, creole included; each
example goes through the same normalising and masking as a live message, so "5k", "Friday"
or "18 months" here stand for any amount, date or term. Examples are separated by "|".
"""

from __future__ import annotations

from agent.understanding.model import Intent

_EXAMPLES: dict[Intent, str] = {
    Intent.GREET: """
        hi | hello | hey | good morning | good afternoon | good evening | good night | morning |
        afternoon | evening | hiya | hi there | hello there | greetings | good day | yo |
        wha going on | howdy | hey there | hi good morning | hello good afternoon | hola |
        good morning boss | morning miss | hi how are you | hello is anybody there |
        hey how yuh going
    """,
    Intent.GOODBYE: """
        bye | goodbye | good bye | bye bye | see you | see ya | later | talk later |
        catch you later | have a good day | have a nice day | that is all | that is all for now |
        i am done | nothing else | no that is all | all good bye | take care | laters | ok bye |
        good night bye | i gone | ah gone | that is it for today | we done
    """,
    Intent.THANKS: """
        thanks | thank you | thanks a lot | thank you so much | many thanks | thanks so much |
        much appreciated | appreciate it | i appreciate it | cheers | thanks for the help |
        thank you for your help | thanks boss | thanks miss | great thanks | ok thank you |
        thanks very much | tanks | thank you kindly | blessings | thanks again | nice one thanks
    """,
    Intent.PROVIDE_CODE: """
        my code is 123456 | the code is 123456 | code 123456 | here is the code 123456 |
        otp 123456 | the otp is 123456 | verification code 123456 | pin 123456 | it is 123456 |
        i got the code 123456 | code is | here is my code | the code you sent is 123456
    """,
    Intent.RESEND_CODE: """
        resend the code | send the code again | i did not get the code | i never got the code |
        code did not come | send another code | send me a new code | the code expired |
        the code is not working | no code came | i have not received any code | code never came |
        can you send it again | please resend | i did not get any text | text me the code again |
        send a new otp | the otp did not come | i ent get no code | wrong code send another
    """,
    Intent.PREQUALIFY: """
        can i get pre approved | am i eligible for a loan | do i qualify for a loan |
        how much can i borrow | how much can i get | how much would i qualify for |
        check if i qualify | see what i qualify for | what is the most i can borrow |
        how much loan can i get | can i qualify | would i be approved | check my eligibility |
        what can i afford to borrow | pre qualify me | i want to see if i qualify |
        how much you could give me | what amount can i get | will allyuh approve me |
        how much money allyuh could lend me | can i get a loan with my salary | prequalification |
        check how much i can borrow with 8k a month | i earn 6000 how much can i get
    """,
    Intent.APPLY: """
        i want a loan | i want to borrow 5k | i need a loan | i want to apply for a loan |
        apply for a loan | i want to borrow 5k for 18 months | can i get a loan | i need money |
        i need 10k | loan please | i want a personal loan | i want a car loan |
        i want to take a loan | i would like to apply | start an application | new loan |
        i need to borrow some money | can i borrow 20k | i want 5k over 2 years |
        i need a loan for a fridge | i want hire purchase for a stove | lend me 3000 |
        i need a salary advance | i want to consolidate my debts | business loan for my shop |
        ah want ah loan | ah need some money | i looking for a loan | how do i apply |
        i want to apply | sign me up for a loan | give me a loan | i want to take out a loan |
        borrow 15000 | i need 2 grand till payday | can i apply online | apply now |
        loan for my shop | i need a loan for my business | i need a loan to buy a car |
        can i get a loan for a fridge | i want to buy furniture on hire purchase
    """,
    Intent.APPLICATION_STATUS: """
        where is my application | what is the status of my application | application status |
        any update on my application | did my loan get approved | was i approved |
        has my application been approved | is my loan approved | what happened with my application |
        i applied last week any news | when will i hear back | when will i get a decision |
        status of my loan application | check my application | is my application still pending |
        how long for my application | have you reviewed my application | any news on my loan |
        wha happen with meh application | whey meh application reach | did allyuh approve me |
        when will the money be in my account | when will i get the money | was my loan declined
    """,
    Intent.BALANCE: """
        what is my balance | how much do i owe | how much i owe | balance | my balance |
        check my balance | what is left on my loan | how much is left to pay | outstanding balance |
        what the balance is | how much do i still owe | loan balance | what is my loan balance |
        what do i owe | how much more i have to pay | how much remaining on my loan |
        how much i have left | tell me my balance | what is the balance on my account |
        wha de balance is | how much ah owe allyuh | show me my balance | current balance |
        how much am i owing | am i behind | how much am i in arrears | what is my arrears
    """,
    Intent.NEXT_PAYMENT: """
        when is my next payment | when is my payment due | next payment | due date |
        when do i have to pay | how much is my next payment | when is the next instalment |
        what is my next instalment | when is my installment due | how much is due |
        when must i pay | what date is my payment | when next i have to pay | payment due date |
        how much do i pay this month | what do i pay next | when is payment due |
        when allyuh want the next payment | how much is my monthly payment | what is my instalment
    """,
    Intent.SCHEDULE: """
        show me my schedule | payment schedule | repayment schedule | my schedule |
        send me my schedule | list all my payments | all my due dates | show me all my payments |
        what are my payment dates | amortization schedule | give me my repayment plan |
        when are all my payments | full schedule | i want to see my schedule | schedule please |
        statement | send me a statement | loan statement | payment history | show my statement
    """,
    Intent.MAKE_PAYMENT: """
        i want to pay | make a payment | pay my loan | i want to make a payment |
        send me a payment link | payment link | send me the link | how can i pay | pay now |
        i want to pay 500 | can i pay online | pay by card | i want to pay my instalment |
        i paid at the branch yesterday ref abc123 | i already paid | i made a payment |
        i paid 500 yesterday | i deposited the money | i transferred the money | i paid online |
        here is my receipt | i want to pay off this month | let me pay | how do i pay |
        where can i pay | ah want to pay | i paid already check it | i sent the payment
    """,
    Intent.PROMISE_TO_PAY: """
        i will pay friday | i go pay friday | i will pay 500 friday | i will pay on the 30th |
        i will pay next week | i can pay on payday | i will pay when i get paid |
        i promise to pay friday | i will make the payment tomorrow | i will pay end of the month |
        i will pay 1000 on the 15th | i will settle it on friday | give me till friday |
        i will send it on monday | i will pay by the 30th | i can pay 300 next friday |
        i will pay the balance on payday | ah go pay yuh friday | i will drop it in tomorrow |
        i going to pay on the 30th | can i pay on friday | i will have it by monday |
        i will pay something on friday | let me pay on payday | i will clear it next week
    """,
    Intent.SETTLEMENT: """
        i want to settle my loan | i want to pay it off early | pay off my loan | settle my loan |
        how much to pay off my loan | payoff amount | settlement amount | i want to close my loan |
        pay the full balance | clear my loan | i want to finish paying | pay it all off |
        early settlement | i want to pay off the whole thing | full and final payment |
        how much to clear the loan | i want to settle for less | can we settle | settlement offer |
        i want to pay out the loan | finish off the loan | close out my loan
    """,
    Intent.HARDSHIP: """
        i lost my job | i can not afford the payments | i am going through hardship |
        i am sick | i was in hospital | i got laid off | i was retrenched | i have no income |
        i can not pay right now | times are hard | i am struggling to pay | i am broke |
        my business closed | i can not manage the payments | i need to reduce my payments |
        can i pay less | i need more time to pay | can you lower my instalment |
        my hours were cut | my salary was cut | i am out of work | things real hard right now |
        ah cyah pay dis month | ah eh have no money | money real tight | i need a payment holiday
    """,
    Intent.DISPUTE: """
        i never took this loan | this charge is wrong | this is not my loan | i did not apply |
        the balance is wrong | i was charged twice | the fee is wrong | i want to dispute |
        i do not owe this | this is fraud | someone took a loan in my name | wrong amount |
        you charged me a late fee but i paid on time | the interest is wrong |
        my payment is not showing | i paid but it not reflecting | why was i charged this
    """,
    Intent.UPDATE_CONTACT: """
        change my email to a@b.com | update my email | change my phone number | new number |
        update my phone | my number changed | my email changed | update my contact details |
        change my address | i have a new email | use this number 868-555-0150 |
        my new email is a@b.com | change my number to 868-555-0150 | update my whatsapp number
    """,
    Intent.OPT_OUT: """
        stop | unsubscribe | stop sending me promotions | stop sending me messages |
        do not text me | do not message me again | opt out | remove me from your list |
        no more promotions | stop texting me | stop calling me | i do not want these messages |
        stop the spam | no more marketing | take me off the list | doh send me no more message
    """,
    Intent.QUESTION: """
        what documents do i need | what are your hours | what is the interest rate |
        how long does approval take | do you do car loans | what fees do you charge |
        where are your branches | are you open on saturday | what is the late fee |
        can i pay off early without penalty | what is the minimum loan | what is the maximum loan |
        do i need a guarantor | do you check my credit | what are the requirements |
        what products do you offer | how does hire purchase work | is there an early payment fee |
        do you need a job letter | what is the apr | how much is the processing fee |
        what happens if i pay late | can a self employed person apply | how does this work |
        what is a salary advance | what is interest free hire purchase | who are you |
        is my data safe | what time allyuh open | wha documents ah need | what do you have |
        what are my options | what loans do you have | what kind of loans allyuh have |
        do allyuh do business loans
    """,
    Intent.AFFIRM: """
        yes | yeah | yep | yup | ya | yea man | ok | okay | k | kk | okie | sure | correct |
        that is right | that right | go ahead | yes please | do it | confirm | proceed |
        absolutely | of course | sounds good | alright | yes correct | that is fine | fine |
        i agree | perfect | right
    """,
    Intent.DENY: """
        no | nah | nope | not now | do not do it | no thanks | no thank you | not really |
        i do not want that | that is wrong | not interested | not today | no way | never |
        not right | incorrect | no i do not | negative | i decline
    """,
    Intent.INFORM: """
        5000 | 5k | 18 months | my income is 8k | i make 8k a month | i earn 6000 a month |
        i work at massy stores | my employer is the government | i work for myself |
        my email is a@b.com | my number is 868-555-0150 | friday | on the 30th |
        i was born on 12 march 1985 | my id is 19850312001 | it is for a car | personal loan |
        car loan | hire purchase | salary advance | 12 months | 2 years | my salary is 7500 |
        i am a teacher | i am self employed | i get paid monthly | 500 | the first one | option 2
    """,
    Intent.CORRECTION: """
        actually 12 months | make it 12 months | make it 7000 | change the amount to 7000 |
        i meant 5000 | no i meant 18 months | actually make it 3k | change it to 2 years |
        not 5000 7000 | sorry i meant friday | wait make that 24 months | actually the 30th |
        change the term to 24 months | i said 6000 not 5000 | it should be 8k | scratch that 10k
    """,
    Intent.CANCEL: """
        cancel | forget it | never mind | nevermind | cancel that | stop this | leave it |
        i changed my mind | i do not want it anymore | cancel the application | forget about it |
        do not bother | i no longer need the loan | abort | scrap that | leave it so
    """,
    Intent.HUMAN: """
        talk to a person | i want to speak to an agent | human please | real person |
        let me talk to somebody | can i speak to someone | connect me to an agent |
        customer service | i want a human | put me through to a representative | call me |
        can somebody call me | i need to talk to a real person | agent | transfer me |
        let me talk to a manager | i want to speak to a loan officer | you are a bot
    """,
    Intent.REPEAT: """
        repeat that | say again | come again | what did you say | pardon | say that again |
        i did not catch that | can you repeat | one more time | huh | what | sorry what |
        i did not understand | could you say that again | eh | wha yuh say
    """,
    Intent.START_OVER: """
        start over | start again | restart | begin again | from the beginning |
        let us start over | reset | can we start from scratch | start from the top
    """,
    Intent.COMPLAINT: """
        i want to complain | i want to make a complaint | complaint | this service is terrible |
        i am not happy with your service | worst service ever | i am fed up | your staff was rude |
        nobody answers the phone | i have been waiting for weeks | this is ridiculous |
        i want to report your company | i am going to the ombudsman | allyuh service real bad
    """,
    Intent.ABUSE: """
        you are stupid | idiot | useless bot | shut up | go to hell | screw you | you are an idiot
    """,
}


def examples() -> dict[Intent, tuple[str, ...]]:
    """Every intent's examples, as separate strings."""
    return {
        intent: tuple(" ".join(part.split()) for part in text.split("|") if part.strip())
        for intent, text in _EXAMPLES.items()
    }
